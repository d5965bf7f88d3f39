import { APP_KINDS } from './apps.js';
import { approvalSuite, contractSuite } from './contract.js';

for (const kind of APP_KINDS) {
  contractSuite(kind, () => ({}));
  approvalSuite(kind);
}

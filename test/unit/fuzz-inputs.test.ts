import { describe } from 'vitest';
import { fuzzEveryInput } from '../support/fuzz-inputs.js';

describe('every public input, fuzzed (memory store)', () => {
  fuzzEveryInput(async () => undefined, { numRuns: 40 });
});

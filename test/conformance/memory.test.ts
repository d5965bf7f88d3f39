import { describe, it } from 'vitest';
import { MemoryAuthStore } from 'gatehouse/memory';
import { storeConformanceCases } from 'gatehouse/testing';

describe('MemoryAuthStore conformance', () => {
  for (const c of storeConformanceCases) it(c.name, () => c.run(new MemoryAuthStore()));
});

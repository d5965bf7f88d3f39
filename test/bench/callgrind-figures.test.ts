import { describe, expect, it } from 'vitest';
import { callgrindFigures, dumpTotal } from '../../bench/support/callgrind-figures.js';

describe('the callgrind bench arithmetic', () => {
  it('dumpTotal() reads the totals line of a dump and refuses a file without one', () => {
    expect(dumpTotal('version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 137550517\n\nfl=(1) x\n')).toBe(137_550_517);
    expect(dumpTotal('events: Ir\nfn=(1) main\n1 5\ntotals: 42\n')).toBe(42);
    expect(() => dumpTotal('events: Ir\n')).toThrow(/no totals/);
  });

  it("callgrindFigures() gives the plain route per request and each guard's count less the plain route's", () => {
    const figures = callgrindFigures(
      { 'fastify:plain': 300_000, 'fastify:session': 330_000, 'fastify:permission': 345_000, 'memory:await': 1_000, 'memory:validate': 26_000 },
      100,
    );
    expect(figures).toEqual([
      { name: 'callgrind.fastify.plain_route_per_request', value: 3000, unit: 'instructions' },
      { name: 'callgrind.fastify.session_guard_per_request', value: 300, unit: 'instructions' },
      { name: 'callgrind.fastify.permission_guard_per_request', value: 450, unit: 'instructions' },
      { name: 'callgrind.memory.await_baseline_per_call', value: 10, unit: 'instructions' },
      { name: 'callgrind.memory.validate_per_call', value: 250, unit: 'instructions' },
    ]);
  });

  it('callgrindFigures() refuses a framework measured without one of its guards', () => {
    expect(() => callgrindFigures({ 'express:plain': 1, 'express:session': 2 }, 1)).toThrow(/express:permission/);
  });
});

/**
 * The arithmetic of `bench/callgrind.ts`: reading a callgrind dump's total and turning the
 * counts of the scenarios' measured phases into figures per request or call.
 */

/** The instructions (event `Ir`) a callgrind dump file counted: its `totals:` (or `summary:`) line. */
export function dumpTotal(text: string): number {
  const line = /^(?:totals|summary):\s*(\d+)/m.exec(text);
  if (line === null) throw new Error('not a callgrind dump: no totals line');
  return Number(line[1]);
}

/** The instructions each scenario's measured phase counted, by scenario name (`fastify:plain`, …). */
export type PhaseCounts = Readonly<Record<string, number>>;

/** One figure, as `bench/run.ts` prints it. */
export interface CallgrindFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: 'instructions';
}

/**
 * Per framework: the plain route's instructions per request (the baseline) and each guard's
 * own instructions per request, its route's count less the plain route's; on the memory
 * store: an `await` of a resolved value (the loop's baseline) and `sessions.validate()` less
 * that. `runs` is how many requests or calls each measured phase made.
 */
export function callgrindFigures(counts: PhaseCounts, runs: number): CallgrindFigure[] {
  const per = (scenario: string): number => {
    const count = counts[scenario];
    if (count === undefined) throw new Error(`no count for ${scenario}`);
    return count / runs;
  };
  const figure = (name: string, value: number): CallgrindFigure => ({ name: `callgrind.${name}`, value: Math.round(value), unit: 'instructions' });
  const figures: CallgrindFigure[] = [];
  for (const framework of ['fastify', 'express']) {
    if (counts[`${framework}:plain`] === undefined) continue;
    const plain = per(`${framework}:plain`);
    figures.push(figure(`${framework}.plain_route_per_request`, plain));
    figures.push(figure(`${framework}.session_guard_per_request`, per(`${framework}:session`) - plain));
    figures.push(figure(`${framework}.permission_guard_per_request`, per(`${framework}:permission`) - plain));
  }
  if (counts['memory:await'] !== undefined) {
    const loop = per('memory:await');
    figures.push(figure('memory.await_baseline_per_call', loop));
    figures.push(figure('memory.validate_per_call', per('memory:validate') - loop));
  }
  return figures;
}

/** Timing and summary helpers for the benchmark: latencies of one batch, and medians and spreads over rounds. */

export interface Latencies {
    p50: number;
    p95: number;
    perSecond: number;
    count: number;
}

export const round = (value: number): number => Math.round(value * 100) / 100;

function quantile(sorted: number[], q: number): number {
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function summarize(samplesMs: number[], wallMs: number): Latencies {
    const sorted = [...samplesMs].sort((a, b) => a - b);
    return { p50: round(quantile(sorted, 0.5)), p95: round(quantile(sorted, 0.95)), perSecond: round((samplesMs.length / wallMs) * 1000), count: samplesMs.length };
}

export async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
    const start = process.hrtime.bigint();
    const result = await run();
    return [result, Number(process.hrtime.bigint() - start) / 1e6];
}

/** Runs `count` operations with at most `concurrency` in flight (worker k gets k); per-operation latencies and wall time. */
export async function load<T>(
    count: number,
    concurrency: number,
    operation: (index: number, worker: number) => Promise<T>,
): Promise<{ results: T[]; samples: number[]; wallMs: number }> {
    const results: T[] = new Array(count);
    const samples: number[] = new Array(count);
    let next = 0;
    const [, wallMs] = await timed(() =>
        Promise.all(
            Array.from({ length: concurrency }, async (_, worker) => {
                while (next < count) {
                    const index = next++;
                    [results[index], samples[index]] = await timed(() => operation(index, worker));
                }
            }),
        ),
    );
    return { results, samples, wallMs };
}

/** Median, min and max of one figure over rounds, and its spread (max / min). */
export interface OverRounds {
    median: number;
    min: number;
    max: number;
    spread: number;
}

export function overRounds(values: number[]): OverRounds {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = sorted.length / 2;
    const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
    const [min, max] = [sorted[0], sorted[sorted.length - 1]];
    return { median: round(median), min: round(min), max: round(max), spread: round(max / min) };
}

/** Flags of `npm run bench` (see bench/run.ts). */
export interface BenchOptions {
  /** Shorter runs for trying the harness out; figures from it are not the issue's. */
  quick: boolean;
  /** Rounds per compared pair in the load benchmarks (each round measures baseline and candidate once). */
  rounds: number;
}

/** Which local services answered at the start of the run. */
export interface Services {
  postgres: boolean;
  redis: boolean;
}

/** The command line of `npm run bench:server`: its options, their defaults and the usage text. */

export interface Options {
  json: boolean;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  publishes: number;
  repos: number;
  nginxWorkers: number;
  dctWorkers: number;
  skipRss: boolean;
  skipGet: boolean;
  skipPublish: boolean;
  nodeFloor: boolean;
  publishWarmup: number;
}

export const USAGE = `usage: npm run bench:server -- [--json] [--rounds N (5)] [--duration S (5)] [--warmup S (2)]
       [--connections N (16)] [--publishes N per server and round (20)] [--repos N (100000)]
       [--nginx-workers N (1)] [--dct-workers N (1)] [--skip-rss] [--skip-get] [--skip-publish] [--no-node-floor]
       [--publish-warmup N publishes per server before timing (50)]
`;

export function parseArgs(argv: string[]): Options {
  const opts: Options = {
    json: false,
    rounds: 5,
    durationS: 5,
    warmupS: 2,
    connections: 16,
    publishes: 20,
    repos: 100_000,
    nginxWorkers: 1,
    dctWorkers: 1,
    skipRss: false,
    skipGet: false,
    skipPublish: false,
    nodeFloor: true,
    publishWarmup: 50,
  };
  const num = (i: number, name: string) => {
    const v = Number(argv[i]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--json':
        opts.json = true;
        break;
      case '--rounds':
        opts.rounds = Math.round(num(++i, arg));
        break;
      case '--duration':
        opts.durationS = num(++i, arg);
        break;
      case '--warmup':
        opts.warmupS = num(++i, arg);
        break;
      case '--connections':
        opts.connections = Math.round(num(++i, arg));
        break;
      case '--publishes':
        opts.publishes = Math.round(num(++i, arg));
        break;
      case '--repos':
        opts.repos = Math.round(num(++i, arg));
        break;
      case '--nginx-workers':
        opts.nginxWorkers = Math.round(num(++i, arg));
        break;
      case '--dct-workers':
        opts.dctWorkers = Math.round(num(++i, arg));
        break;
      case '--skip-rss':
        opts.skipRss = true;
        break;
      case '--skip-get':
        opts.skipGet = true;
        break;
      case '--publish-warmup':
        opts.publishWarmup = Math.round(num(++i, arg));
        break;
      case '--skip-publish':
        opts.skipPublish = true;
        break;
      case '--node-floor':
        opts.nodeFloor = true;
        break;
      case '--no-node-floor':
        opts.nodeFloor = false;
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return process.exit(0);
      default:
        process.stderr.write(`unknown argument ${String(arg)}\n${USAGE}`);
        process.exit(2);
    }
  }
  return opts;
}

import { resolve } from 'node:path';
import { z } from 'zod';

const envSchema = z.object({
  /** HTTP and Socket.IO port. Default 8080. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** Interface to listen on. Default 0.0.0.0. */
  HOST: z.string().default('0.0.0.0'),
  /** Where the embedded database and demo files live. Default `./data`. */
  DEPLOYBOT_DATA_DIR: z.string().default('./data'),
  /** PostgreSQL connection string; when set, it replaces the embedded PGlite. */
  DATABASE_URL: z.string().optional(),
  /** pino level. Default `info`. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How often expired approval deadlines are looked for, in ms. Default 1000. */
  DEPLOYBOT_DEADLINE_SWEEP_MS: z.coerce.number().int().min(10).default(1000),
});

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  deadlineSweepMs: number;
};

/** Reads the configuration from the environment; a bad value stops the start with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid configuration:\n${lines}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DEPLOYBOT_DATA_DIR === 'memory://' ? 'memory://' : resolve(e.DEPLOYBOT_DATA_DIR),
    databaseUrl: e.DATABASE_URL || undefined,
    logLevel: e.LOG_LEVEL,
    deadlineSweepMs: e.DEPLOYBOT_DEADLINE_SWEEP_MS,
  };
}

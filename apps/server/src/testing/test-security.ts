import type { SecurityOptions } from '../app';

/** The bootstrap admin's API token in tests (the real controller takes it from DEPLOYBOT_ADMIN_TOKEN). */
export const TEST_ADMIN_TOKEN = 'dbt_test-admin-token-0123456789abcdef';

export const TEST_SECURITY: SecurityOptions = {
  fourEyes: false,
  approverRoles: {},
  corsOrigins: [],
  loginLimitPerMinute: 1000,
  // The hostile-input and access suites send hundreds of requests on one socket on purpose; the socket limits
  // have their own suite (socket-limits.test.ts) with its own numbers.
  sockets: {
    inFlightPerSocket: 1000,
    ratePerSocket: 100_000,
    burstPerSocket: 100_000,
    ratePerUser: 100_000,
    burstPerUser: 100_000,
    socketsPerUser: 1000,
    refusalsPerMinute: 100_000,
  },
};

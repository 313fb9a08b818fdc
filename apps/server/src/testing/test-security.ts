import type { SecurityOptions } from '../app';

/** The bootstrap admin's API token in tests (the real controller takes it from DEPLOYBOT_ADMIN_TOKEN). */
export const TEST_ADMIN_TOKEN = 'dbt_test-admin-token-0123456789abcdef';

export const TEST_SECURITY: SecurityOptions = {
  fourEyes: false,
  approverRoles: {},
  corsOrigins: [],
  loginLimitPerMinute: 1000,
};

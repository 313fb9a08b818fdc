#!/usr/bin/env node
// The agent is TypeScript run through tsx, so there is no build step to forget on a server; this shim makes it
// start with plain `node` from any working directory.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');

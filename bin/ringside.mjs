#!/usr/bin/env node
// The ringside command: loads the TypeScript sources through tsx and runs the CLI.
import { register } from 'tsx/esm/api';

// React's production build for the debugger (its development build draws several times slower).
process.env.NODE_ENV ??= 'production';
register();
await import('../cli/main.ts');

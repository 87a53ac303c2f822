#!/usr/bin/env node
// `npm run bench`: loads the TypeScript benchmark through tsx (as ESM, like the CLI).
import { register } from 'tsx/esm/api';

// The debugger's redraw is measured with React's production build, as `ringside tui` runs it.
process.env.NODE_ENV ??= 'production';
register();
await import('../bench/main.ts');

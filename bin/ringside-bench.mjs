#!/usr/bin/env node
// `npm run bench`: loads the TypeScript benchmark through tsx (as ESM, like the CLI).
import { register } from 'tsx/esm/api';

register();
await import('../bench/main.ts');

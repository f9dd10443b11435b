#!/usr/bin/env node
import { main } from '../dist/src/cli/index.js';

main(process.argv).catch((err) => {
  process.stderr.write(`costwise: ${err?.message ?? err}\n`);
  process.exit(1);
});

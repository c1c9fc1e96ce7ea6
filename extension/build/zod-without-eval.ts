// zod probes at load time whether `new Function` works, to decide whether to compile fast
// parsers. Extension pages and service workers forbid eval by their CSP, so in the add-on the
// probe always fails and the compiled path is dead code; but the probe itself makes AMO's
// linter report DANGEROUS_EVAL and makes the CSP log a violation. This plugin settles the
// answer at build time (the same as zod's own `jitless` setting), so neither happens.
import type { Plugin } from 'vite';

const UTIL_MODULE = /[\\/]zod[\\/]v4[\\/]core[\\/]util\.js$/;
const PROBE = /export const allowsEval = \/\* @__PURE__\*\/ cached\(\(\) => \{[\s\S]*?\n\}\);/;

export function zodWithoutEval(): Plugin {
  return {
    name: 'zod-without-eval',
    transform(code, id) {
      if (!UTIL_MODULE.test(id)) return null;
      if (!PROBE.test(code)) {
        // Fail loudly: a zod upgrade changed the probe and the add-on would carry eval again.
        this.error('zod-without-eval: the allowsEval probe in zod/v4/core/util.js was not found');
      }
      return {
        code: code.replace(PROBE, 'export const allowsEval = { value: false };'),
        map: null,
      };
    },
  };
}

/** The monitor modes a guest can run under (SPEC section 3). */
export const MODES = ['native', 'sw-013', 'sw-033', 'vtx'] as const;
export type Mode = (typeof MODES)[number];

/** Shadow page-table policies of the software VMMs (only sw-033 offers a choice). */
export const SHADOW_POLICIES = ['split', 'shared'] as const;
export type ShadowPolicy = (typeof SHADOW_POLICIES)[number];

/** Modes this build can run (the monitors arrive mode by mode). */
export const AVAILABLE_MODES: readonly Mode[] = ['native', 'sw-013', 'sw-033', 'vtx'];

/** VT-x generations (mode vtx): 2, the default, with EPT, TPR shadow and APIC-access virtualization; 1, the first processors, without EPT and TPR shadow. */
export const VTX_GENERATIONS = [1, 2] as const;
export type VtxGeneration = (typeof VTX_GENERATIONS)[number];

/**
 * Why `mode` with `shadow` cannot run (null when it can): the one rule the command line checks
 * before it touches any file and the machine checks when it is built (a trace's stored options
 * included). Only sw-033 has a shadow choice: in sw-013, ring 1 and ring 3 already differ in the
 * U/S bit, so one shadow serves both.
 */
export function modeProblem(mode: string, shadow: string | undefined): string | null {
  if (!(MODES as readonly string[]).includes(mode)) return `unknown mode '${mode}' (modes: ${MODES.join(', ')})`;
  if (!(AVAILABLE_MODES as readonly string[]).includes(mode)) return `mode '${mode}' is not available in this build (available: ${AVAILABLE_MODES.join(', ')})`;
  if (shadow === undefined) return null;
  if (!(SHADOW_POLICIES as readonly string[]).includes(shadow)) return `--shadow must be 'split' or 'shared', not '${shadow}'`;
  if (mode !== 'sw-033') return `--shadow applies to mode sw-033 only, not '${mode}' (sw-013 has one shadow: ring 1 and ring 3 differ in the U/S bit)`;
  return null;
}

/** The monitor modes a guest can run under (SPEC section 3). */
export const MODES = ['native', 'sw-013', 'sw-033', 'vtx'] as const;
export type Mode = (typeof MODES)[number];

/** Shadow page-table policies of the software VMMs (only sw-033 offers a choice). */
export const SHADOW_POLICIES = ['split', 'shared'] as const;
export type ShadowPolicy = (typeof SHADOW_POLICIES)[number];

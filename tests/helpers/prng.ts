/** Seeded pseudo-random inputs for tests: the project's xorshift32. */
export { Xorshift as Prng } from '../../recorder/prng';

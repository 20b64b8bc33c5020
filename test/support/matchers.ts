// Jest's asymmetric matchers (expect.any, expect.stringMatching, …) are typed `any` by
// @types/jest, so typescript-eslint reports each one used as a property of an expected object
// as an unsafe `any` assignment. These are the same matchers typed `unknown`: they go wherever
// toEqual or toMatchObject take a value, and they cannot be used as anything else by mistake.

export const match = {
  /** `expect.any(type)`: any value made by `type` (String, Number and Boolean match primitives too). */
  any: (type: abstract new (...args: never[]) => unknown): unknown => expect.any(type),
  /** `expect.stringMatching(pattern)`. */
  stringMatching: (pattern: string | RegExp): unknown => expect.stringMatching(pattern),
  /** `expect.stringContaining(text)`. */
  stringContaining: (text: string): unknown => expect.stringContaining(text),
};

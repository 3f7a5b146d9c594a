/**
 * A type that can be null or undefined
 */
export type Nullable<T> = T | null | undefined;

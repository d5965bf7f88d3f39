/**
 * The Standard Schema interface (https://standardschema.dev), which zod (3.24+ and 4),
 * valibot and arktype implement. Application fields are validated through it, so an
 * app can use its own copy and version of its validation library.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The standard's properties, under a name no library uses for anything else. */
  readonly '~standard': {
    /** The version of the standard: 1. */
    readonly version: 1;
    /** The library that made the schema, e.g. `zod`. */
    readonly vendor: string;
    /** Validates a value: its parsed value, or the issues. */
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    /** Types only, for inference: never read at run time. */
    readonly types?:
      | {
          /** What the schema accepts. */
          readonly input: Input;
          /** What it answers. */
          readonly output: Output;
        }
      | undefined;
  };
}

/** The result of a Standard Schema validation. */
export type StandardResult<Output> =
  | {
      /** The parsed value. */
      readonly value: Output;
      /** Absent on success. */
      readonly issues?: undefined;
    }
  | {
      /** Why the value was refused. */
      readonly issues: readonly StandardIssue[];
    };

/** One problem reported by a Standard Schema. */
export interface StandardIssue {
  /** A human-readable explanation. */
  readonly message: string;
  /** Where the problem is, as keys or `{ key }` segments. */
  readonly path?:
    | readonly (
        | PropertyKey
        | {
            /** The key of this segment. */
            readonly key: PropertyKey;
          }
      )[]
    | undefined;
}

/** Whether a value implements Standard Schema v1. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const standard = (value as { '~standard'?: { version?: unknown; validate?: unknown } })['~standard'];
  return typeof standard === 'object' && standard !== null && standard.version === 1 && typeof standard.validate === 'function';
}

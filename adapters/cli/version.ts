// Inlined by the build: the CLI prints the version of the package it was built with.
import manifest from '../../package.json' with { type: 'json' };

/** The version of the gatehouse package this CLI belongs to. */
export const GATEHOUSE_VERSION: string = manifest.version;

/** This package's version, sent in the User-Agent header; kept equal to package.json by a test. */
export const OPENAI_OPS_VERSION = '0.1.0';

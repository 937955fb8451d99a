/** Queue retry backoff; lives in src/lib so services that schedule a retry use the same curve. */
export { retryDelaySeconds } from "../lib/backoff";

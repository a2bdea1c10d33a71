/**
 * Splits the contracts' `s3://bucket/prefix/` locations (already validated by the IR builder, see
 * `CONTRACT.INVALID_LOCATION`) for targets that need bucket and key prefix apart: Terraform, Step Functions.
 */
import { GeneratorBug } from "./errors.js";

export interface S3Location {
  readonly bucket: string;
  /** Key prefix, empty or ending in `/`. */
  readonly prefix: string;
}

const LOCATION = /^s3:\/\/([^/]+)\/(.*)$/;

export function splitS3Location(location: string): S3Location {
  const match = LOCATION.exec(location);
  if (!match || !(match[2] === "" || match[2]!.endsWith("/"))) {
    throw new GeneratorBug(`The IR holds the location "${location}", which is not s3://bucket/prefix/.`);
  }
  return { bucket: match[1]!, prefix: match[2]! };
}

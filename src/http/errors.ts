import type { ContentfulStatusCode } from "hono/utils/http-status";

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * A refusal the caller can act on. `reasonCode` is stable (clients and dashboards key on it);
 * `message` is for humans and never contains a token or secret.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly reasonCode: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  reqId: string;
  reasonCode: string;
  details?: unknown;
}

export function errorBody(err: ApiError, reqId: string): ErrorBody {
  const body: ErrorBody = {
    statusCode: err.status,
    error: STATUS_TEXT[err.status] ?? "Error",
    message: err.message,
    reqId,
    reasonCode: err.reasonCode,
  };
  if (err.details !== undefined) body.details = err.details;
  return body;
}

export const unauthorized = (reasonCode: string, message: string) => new ApiError(401, reasonCode, message);
export const forbidden = (reasonCode: string, message: string) => new ApiError(403, reasonCode, message);
export const notFound = (reasonCode: string, message: string) => new ApiError(404, reasonCode, message);
export const badRequest = (reasonCode: string, message: string, details?: unknown) =>
  new ApiError(400, reasonCode, message, {}, details);
export const unprocessable = (reasonCode: string, message: string, details?: unknown) =>
  new ApiError(422, reasonCode, message, {}, details);

/** A request the API refuses, with the HTTP status that says why (400 bad input, 404 no such real, …). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

import Foundation
import Hummingbird
import Logging

/// The outermost middleware: turns whatever a route or middleware threw into OpenAI's error
/// object with its status, and records every answered request in the metrics.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = FinchRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = APIError.from(error, method: request.method, path: request.uri.path, bodyLimit: FinchRequestContext.bodyLimit)
            if apiError.status == .internalServerError {
                context.logger.error("\(request.method) \(request.uri.path) failed: \(apiError.message)")
            }
            response = apiError.response()
        }
        let elapsed = ContinuousClock.now - start
        metrics.recordRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                              status: response.status.code,
                              seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        return response
    }
}

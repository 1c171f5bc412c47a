/// The `components` object of the OpenAPI document: the two bearer schemes (the shop's JWT and
/// `--api-key`), the shared responses and the schemas of every request and answer body.
enum OpenAPIComponents {
    static let json = #"""
{
  "securitySchemes": {
    "bearerJWT": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "from POST /api/token; expires after expires_in seconds"},
    "apiKey": {"type": "http", "scheme": "bearer", "description": "serve --api-key: required on the LLM routes but /health and /v1/models when set"}
  },
  "parameters": {
    "CustomerID": {"name": "id", "in": "path", "required": true, "description": "a customer id, e.g. 17850", "schema": {"type": "integer"}}
  },
  "responses": {
    "Error": {"description": "OpenAI's error object", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "Health": {"description": "ok, or loading while the model loads (503)", "content": {"application/json": {"schema": {"type": "object", "required": ["status"], "properties": {"status": {"enum": ["ok", "loading"]}}}}}}
  },
  "schemas": {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["message", "type", "param", "code"],
      "properties": {"message": {"type": "string"}, "type": {"type": "string"}, "param": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]}}}}},
    "ModelList": {"type": "object", "required": ["object", "data"], "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": {
      "type": "object", "required": ["id", "object", "created", "owned_by", "context_length"],
      "properties": {"id": {"type": "string"}, "object": {"const": "model"}, "created": {"type": "integer"}, "owned_by": {"type": "string"}, "context_length": {"type": "integer"}}}}}},
    "CompletionRequest": {"type": "object", "description": "prompt defaults to the empty text", "properties": {
      "prompt": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 1}, {"type": "array", "items": {"type": "integer", "minimum": 0}}]},
      "max_tokens": {"type": "integer", "minimum": 1, "default": 16},
      "temperature": {"type": "number", "minimum": 0, "default": 1},
      "top_p": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 1},
      "top_k": {"type": "integer", "minimum": 0, "default": 0},
      "repetition_penalty": {"type": "number", "exclusiveMinimum": 0, "default": 1},
      "stop": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 4}]},
      "seed": {"type": "integer", "minimum": 0},
      "stream": {"type": "boolean", "default": false},
      "n": {"const": 1}}},
    "Completion": {"type": "object", "required": ["id", "object", "created", "model", "choices"], "properties": {
      "id": {"type": "string"}, "object": {"const": "text_completion"}, "created": {"type": "integer"}, "model": {"type": "string"},
      "choices": {"type": "array", "items": {"type": "object", "required": ["text", "index", "logprobs", "finish_reason"], "properties": {
        "text": {"type": "string"}, "index": {"type": "integer"}, "logprobs": {"type": "null"}, "finish_reason": {"enum": ["stop", "length", null]}}}},
      "usage": {"type": "object", "required": ["prompt_tokens", "completion_tokens", "total_tokens"], "properties": {
        "prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}}}}},
    "Tokens": {"type": "object", "required": ["tokens"], "properties": {"tokens": {"type": "array", "items": {"type": "integer", "minimum": 0}}}},
    "Credentials": {"type": "object", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}},
    "Token": {"type": "object", "required": ["access_token", "token_type", "expires_in"], "properties": {
      "access_token": {"type": "string"}, "token_type": {"const": "bearer"}, "expires_in": {"type": "integer"}}},
    "Me": {"type": "object", "required": ["username", "role", "customer"], "properties": {
      "username": {"type": "string"}, "role": {"enum": ["customer", "admin"]}, "customer": {"type": ["integer", "null"]}}},
    "NewUser": {"oneOf": [
      {"type": "object", "required": ["customer", "password"], "properties": {"customer": {"type": "integer"}, "password": {"type": "string", "minLength": 1}}},
      {"type": "object", "required": ["admin", "password"], "properties": {"admin": {"type": "string", "minLength": 1}, "password": {"type": "string", "minLength": 1}}}]},
    "User": {"type": "object", "required": ["username", "role"], "properties": {"username": {"type": "string"}, "role": {"enum": ["customer", "admin"]}}},
    "CustomerPage": {"type": "object", "required": ["customers", "total"], "properties": {
      "customers": {"type": "array", "items": {"type": "object", "required": ["id", "country", "invoices", "last_purchase"], "properties": {
        "id": {"type": "integer"}, "country": {"type": "string"}, "invoices": {"type": "integer"}, "last_purchase": {"type": "string"}}}},
      "total": {"type": "integer"}}},
    "Reason": {"type": "object", "required": ["kind"], "properties": {
      "kind": {"enum": ["bought-together", "similar", "bought-before", "trending", "popular"]},
      "with": {"type": "string"}, "customers": {"type": "integer"}, "to": {"type": "string"}, "cosine": {"type": "number"},
      "times": {"type": "integer"}, "orders_30d": {"type": "integer"}}},
    "RecommendedItem": {"type": "object", "required": ["stock_code", "name", "price", "score", "reasons"], "properties": {
      "stock_code": {"type": "string"}, "name": {"type": "string"}, "price": {"type": "number"}, "score": {"type": "number"},
      "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/Reason"}},
      "narrative": {"type": "string"}, "narrative_fallback": {"type": "boolean"}}},
    "Recommendations": {"type": "object", "required": ["customer", "cold_start", "items"], "properties": {
      "customer": {"type": "integer"}, "cold_start": {"type": "boolean"},
      "items": {"type": "array", "items": {"$ref": "#/components/schemas/RecommendedItem"}}}},
    "History": {"type": "object", "required": ["customer", "purchases", "served"], "properties": {
      "customer": {"type": "integer"},
      "purchases": {"type": "array", "items": {"type": "object", "required": ["invoice", "date", "stock_code", "name", "quantity", "price"], "properties": {
        "invoice": {"type": "string"}, "date": {"type": "string"}, "stock_code": {"type": "string"}, "name": {"type": "string"},
        "quantity": {"type": "integer"}, "price": {"type": "number"}}}},
      "served": {"type": "array", "items": {"type": "object", "required": ["served_at", "items"], "properties": {
        "served_at": {"type": "string"},
        "items": {"type": "array", "items": {"type": "object", "required": ["stock_code", "name"], "properties": {
          "stock_code": {"type": "string"}, "name": {"type": "string"}, "narrative": {"type": ["string", "null"]}}}}}}}}},
    "NewInteraction": {"oneOf": [
      {"type": "object", "required": ["type", "stock_code"], "properties": {"type": {"const": "product_click"}, "stock_code": {"type": "string", "minLength": 1}, "customer": {"type": "integer"}}},
      {"type": "object", "required": ["type", "query"], "properties": {"type": {"const": "search"}, "query": {"type": "string", "minLength": 1, "maxLength": 200}, "customer": {"type": "integer"}}}]},
    "Interaction": {"type": "object", "required": ["id", "type", "customer", "created_at"], "properties": {
      "id": {"type": "integer"}, "type": {"enum": ["product_click", "search"]}, "customer": {"type": "integer"}, "created_at": {"type": "string"}}},
    "Product": {"type": "object", "required": ["stock_code", "name", "price"], "properties": {
      "stock_code": {"type": "string"}, "name": {"type": "string"}, "price": {"type": "number"}}},
    "Similar": {"type": "object", "required": ["product", "items"], "properties": {
      "product": {"$ref": "#/components/schemas/Product"},
      "items": {"type": "array", "items": {"type": "object", "required": ["stock_code", "name", "price", "cosine"], "properties": {
        "stock_code": {"type": "string"}, "name": {"type": "string"}, "price": {"type": "number"}, "cosine": {"type": "number"}}}}}},
    "Search": {"type": "object", "required": ["query", "items", "fallback_reason"], "properties": {
      "query": {"type": "string"}, "fallback_reason": {"type": ["string", "null"]},
      "items": {"type": "array", "items": {"type": "object", "required": ["stock_code", "name", "price"], "properties": {
        "stock_code": {"type": "string"}, "name": {"type": "string"}, "price": {"type": "number"}, "score": {"type": "number"}, "orders_30d": {"type": "integer"}}}}}},
    "Trending": {"type": "object", "required": ["items"], "properties": {
      "items": {"type": "array", "items": {"type": "object", "required": ["stock_code", "name", "price", "orders_30d"], "properties": {
        "stock_code": {"type": "string"}, "name": {"type": "string"}, "price": {"type": "number"}, "orders_30d": {"type": "integer"}}}}}}
  }
}
"""#
}

import Hummingbird

/// `GET /v1/models`: OpenAI's model list, with the one model this server completes with.
enum ModelsRoute {
    struct ModelList: Encodable {
        struct Model: Encodable {
            let id: String
            let object = "model"
            let created: Int
            let ownedBy = "finch"
            /// llama.cpp's extension: what a client needs to size its prompts.
            let contextLength: Int

            enum CodingKeys: String, CodingKey {
                case id, object, created
                case ownedBy = "owned_by"
                case contextLength = "context_length"
            }
        }
        let object = "list"
        let data: [Model]
    }

    static func add(to router: Router<FinchRequestContext>, host: ModelHost, started: Int) {
        router.get("/v1/models") { _, _ -> Response in
            let scheduler = try host.requireScheduler()
            let model = ModelList.Model(id: scheduler.model.name, created: started,
                                        contextLength: scheduler.model.config.contextLength)
            return JSONResponse.make(ModelList(data: [model]))
        }
    }
}

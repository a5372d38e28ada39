//! PTS OpenAPI 2020-10-20 wire types (PascalCase JSON), shared by the client, the local
//! backend and the engine. Data only: no I/O, no plan-file concepts.

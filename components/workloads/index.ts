export * from "./app-config";
export * from "./artifact-store";
export * from "./ingresses";
export * from "./mcp-catalog";
export * from "./mcp-service";
export * from "./namespaces";

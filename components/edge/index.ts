export * from "./edge";
export * from "./edge-switch";
export * from "./edge-load-balancing";
export * from "./ingress-dns";
export * from "./public-hosts";
export { originAuthHeader } from "./edge-bindings";

export * from "./edge";
export * from "./edge-switch";
export * from "./edge-load-balancing";
export * from "./ingress-dns";

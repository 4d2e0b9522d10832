export * from "./log-collector";
export * from "./log-storage";

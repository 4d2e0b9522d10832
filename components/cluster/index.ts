export * from "./cluster-addons";
export * from "./eks-cluster";
export * from "./eks-node-groups";
export * from "./managed-addons";
export type { Placement } from "../kit/pod-spec";
export * from "./deploy-runner";
export * from "./preview-access";
export * from "./karpenter";

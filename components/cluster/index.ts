export * from "./cluster-addons";
export * from "./eks-cluster";
export * from "./eks-node-groups";
export * from "./managed-addons";
export * from "./deploy-runner";
export * from "./ci-roles";
export * from "./preview-access";
export * from "./karpenter";

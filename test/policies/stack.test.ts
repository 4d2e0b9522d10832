import { stackCases } from "./cases/stack";
import { runPolicyCases } from "./lib/cases";

runPolicyCases(stackCases);

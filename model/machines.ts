/** Every machine of the model by name: the registry diagrams and coverage walk. */
import type { AnyStateMachine } from "xstate";
import { brokerMachine } from "./broker.machine.ts";
import { controllerMachine } from "./controller.machine.ts";
import { groupMachine } from "./group.machine.ts";
import { replicationMachine } from "./replication.machine.ts";

export const MACHINES: Record<string, AnyStateMachine> = {
  broker: brokerMachine,
  controller: controllerMachine,
  replication: replicationMachine,
  group: groupMachine,
};

export type MachineName = "broker" | "controller" | "replication" | "group";

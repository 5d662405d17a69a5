/**
 * The registry of `kafkaspec` subcommands, in the order help lists them. Adding a command (broker,
 * cluster, topics, produce, consume) is one module under cli/commands and one line here.
 */
import type { CliCommand } from "../command.ts";
import { brokerCommand } from "./broker.ts";
import { checkCommand } from "./check.ts";
import { clusterCommand } from "./cluster.ts";
import { consumeCommand } from "./consume.ts";
import { modelCommand } from "./model.ts";
import { produceCommand } from "./produce.ts";
import { topicsCommand } from "./topics.ts";

export const COMMANDS: readonly CliCommand[] = [
  checkCommand(),
  modelCommand,
  brokerCommand,
  clusterCommand,
  topicsCommand,
  produceCommand(),
  consumeCommand,
];

/**
 * KafkaZk over any backend: broker registration, controller election and fencing, topics, partition
 * state and deletion, as the controller and brokers use them. Run by each backend's test file.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  assignmentOf,
  type BrokerRegistration,
  ControllerMovedError,
  decodePartitionState,
  KafkaZk,
  type PartitionState,
  ZkPaths,
} from "../../impl/metadata/layout.ts";
import type { MetadataSession, MetadataStore } from "../../impl/metadata/store.ts";
import { EventLog, eventually, expectStoreError, type StoreFixture } from "./store-contract.ts";

function broker(id: number): BrokerRegistration {
  return {
    id,
    endpoints: [{ listener: "PLAINTEXT", host: `broker${id}`, port: 9092, securityProtocol: "PLAINTEXT" }],
    rack: null,
    jmxPort: -1,
    timestampMs: 1_700_000_000_000 + id,
    version: 5,
    features: {},
  };
}

export function kafkaZkContract(backend: string, makeFixture: () => Promise<StoreFixture>): void {
  describe(`KafkaZk: ${backend}`, () => {
    let fixture: StoreFixture;
    let store: MetadataStore;
    const zks: KafkaZk[] = [];

    async function open(): Promise<KafkaZk> {
      const session: MetadataSession = await store.connect({ sessionTimeoutMs: 6_000 });
      const zk = new KafkaZk(session, { now: () => 1_700_000_000_000 });
      zks.push(zk);
      return zk;
    }

    beforeEach(async () => {
      fixture = await makeFixture();
      store = fixture.store;
      zks.length = 0;
      await (await open()).createTopLevelPaths();
    });
    afterEach(async () => {
      await store.close();
      await fixture.dispose?.();
    });

    it("registers brokers as ephemerals, lists them live, and forgets an expired one", async () => {
      const [b1, b2, observer] = [await open(), await open(), await open()];
      const epoch1 = await b1.registerBroker(broker(1));
      const epoch2 = await b2.registerBroker(broker(2));
      expect(epoch2).toBeGreaterThan(epoch1);
      await expectStoreError(b2.registerBroker(broker(1)), "NODE_EXISTS");
      const log = new EventLog();
      expect(await observer.getLiveBrokerIds(log.watcher)).toEqual([1, 2]);
      expect((await observer.getLiveBrokers()).map((b) => b.endpoints[0]!.host)).toEqual([
        "broker1",
        "broker2",
      ]);
      await store.expire(b1.session.sessionId);
      expect(await log.next()).toEqual({ type: "childrenChanged", path: ZkPaths.brokerIds });
      expect(await observer.getLiveBrokerIds()).toEqual([2]);
      expect(await observer.getBroker(2)).toEqual(broker(2));
    });

    it("elects exactly one controller and bumps the epoch", async () => {
      const [z1, z2] = [await open(), await open()];
      const [r1, r2] = await Promise.all([z1.electController(1), z2.electController(2)]);
      const winners = [r1, r2].filter((r) => r.elected);
      expect(winners).toHaveLength(1);
      const loser = [r1, r2].find((r) => !r.elected);
      const winnerId = r1.elected ? 1 : 2;
      expect(loser).toEqual({ elected: false, controllerId: winnerId });
      expect(winners[0]).toMatchObject({ epoch: 1 });
      expect(await z1.getControllerEpoch()).toEqual({ epoch: 1, epochZkVersion: 1 });
      expect(await z2.getController()).toBe(winnerId);
    });

    it("moves the controller to another session when the controller's session expires", async () => {
      const [z1, z2] = [await open(), await open()];
      const first = await z1.electController(1);
      expect(first).toMatchObject({ elected: true, epoch: 1 });
      const log = new EventLog();
      expect(await z2.getController(log.watcher)).toBe(1);
      await store.expire(z1.session.sessionId);
      expect(await log.next()).toEqual({ type: "deleted", path: ZkPaths.controller });
      const second = await z2.electController(2);
      expect(second).toMatchObject({ elected: true, epoch: 2 });
      expect(await z2.getController()).toBe(2);
      expect((await z2.session.exists(ZkPaths.controller))?.ephemeralOwner).toBe(z2.session.sessionId);
    });

    it("fences a stale controller's updateLeaderAndIsr after another broker became controller", async () => {
      const [z1, z2] = [await open(), await open()];
      const old = await z1.electController(1);
      if (!old.elected) throw new Error("broker 1 should have won an uncontested election");
      await z1.createTopic("orders", assignmentOf([[1, 2]]));
      const initial: PartitionState = { leader: 1, leaderEpoch: 0, isr: [1, 2], controllerEpoch: old.epoch };
      await z1.createPartitionStates("orders", new Map([[0, initial]]), old);

      // Broker 1 stalls; its controllership ends (it resigns while still connected, the zombie case)
      // and broker 2 takes over.
      await z1.resignController();
      const current = await z2.electController(2);
      if (!current.elected) throw new Error("broker 2 should take over");

      const read = await z1.getPartitionState("orders", 0);
      expect(read).toEqual({ state: initial, zkVersion: 0 });
      const stale = z1.updateLeaderAndIsr("orders", 0, { ...initial, isr: [1], leaderEpoch: 1 }, 0, old);
      await expect(stale).rejects.toBeInstanceOf(ControllerMovedError);
      expect(await z2.getPartitionState("orders", 0)).toEqual({ state: initial, zkVersion: 0 });

      // A stale controller reconnecting with a new session is fenced the same way.
      const zombie = await open();
      await expect(zombie.updateLeaderAndIsr("orders", 0, initial, 0, old)).rejects.toBeInstanceOf(
        ControllerMovedError,
      );
      await expect(zombie.createPartitionStates("late", new Map([[0, initial]]), old)).rejects.toBeInstanceOf(
        ControllerMovedError,
      );
      expect(await zombie.session.exists(ZkPaths.topicPartitions("late"))).toBeNull();

      const ok = await z2.updateLeaderAndIsr(
        "orders",
        0,
        { ...initial, isr: [2], leader: 2, leaderEpoch: 1 },
        0,
        current,
      );
      expect(ok).toEqual({ ok: true, zkVersion: 1 });
      const stored = await z2.session.get(ZkPaths.partitionState("orders", 0));
      expect(decodePartitionState(stored!.data)).toEqual({
        leader: 2,
        leaderEpoch: 1,
        isr: [2],
        controllerEpoch: 2,
      });
      // A write based on a state that changed since it was read must re-read and retry.
      expect(await z2.updateLeaderAndIsr("orders", 0, initial, 0, current)).toEqual({
        ok: false,
        reason: "badVersion",
      });
      expect(await z2.updateLeaderAndIsr("absent", 0, initial, 0, current)).toEqual({
        ok: false,
        reason: "noNode",
      });
    });

    it("creates topics with assignment and config, watches them, and deletes them fenced", async () => {
      const [admin, controller] = [await open(), await open()];
      const fence = await controller.electController(0);
      if (!fence.elected) throw new Error("uncontested election");
      const log = new EventLog();
      expect(await controller.getTopics(log.watcher)).toEqual([]);
      await admin.createTopic(
        "clicks",
        assignmentOf([
          [0, 1],
          [1, 0],
        ]),
        { "retention.ms": "1000" },
      );
      expect(await log.next()).toEqual({ type: "childrenChanged", path: ZkPaths.topics });
      await expectStoreError(
        admin.createTopic("clicks", assignmentOf([[0]])),
        "NODE_EXISTS",
        ZkPaths.topic("clicks"),
      );
      const assignment = await controller.getTopicAssignment("clicks");
      expect([...assignment!.partitions.entries()]).toEqual([
        [0, [0, 1]],
        [1, [1, 0]],
      ]);
      expect(await controller.getTopicConfig("clicks")).toEqual({ "retention.ms": "1000" });
      const states = new Map<number, PartitionState>([
        [0, { leader: 0, leaderEpoch: 0, isr: [0, 1], controllerEpoch: fence.epoch }],
        [1, { leader: 1, leaderEpoch: 0, isr: [1, 0], controllerEpoch: fence.epoch }],
      ]);
      await controller.createPartitionStates("clicks", states, fence);
      expect((await controller.getPartitionState("clicks", 1))?.state.leader).toBe(1);

      const deletions = new EventLog();
      expect(await controller.getTopicDeletions(deletions.watcher)).toEqual([]);
      await admin.requestTopicDeletion("clicks");
      await admin.requestTopicDeletion("clicks");
      expect(await deletions.next()).toEqual({ type: "childrenChanged", path: ZkPaths.deleteTopics });
      expect(await controller.getTopicDeletions()).toEqual(["clicks"]);
      await controller.deleteTopic("clicks", fence);
      expect(await controller.getTopics()).toEqual([]);
      expect(await controller.session.exists(ZkPaths.configTopic("clicks"))).toBeNull();
      expect(await controller.getTopicDeletions()).toEqual([]);
      // The same name can be created again afterwards.
      await admin.createTopic("clicks", assignmentOf([[0]]));
      expect(await controller.getTopicConfig("clicks")).toEqual({});
    });

    it("keeps the cluster id of the first broker and passes ISR change notifications in order", async () => {
      const [z1, z2] = [await open(), await open()];
      expect(await z1.getOrCreateClusterId("first-id")).toBe("first-id");
      expect(await z2.getOrCreateClusterId("second-id")).toBe("first-id");
      const n1 = await z1.propagateIsrChanges([{ topic: "a", partition: 0 }]);
      const n2 = await z2.propagateIsrChanges([{ topic: "b", partition: 3 }]);
      expect([n1, n2]).toEqual(["isr_change_0000000000", "isr_change_0000000001"]);
      expect(await z1.getIsrChangeNotifications()).toEqual([n1, n2]);
      expect(await z1.readIsrChangeNotification(n2)).toEqual([{ topic: "b", partition: 3 }]);
      await z1.deleteIsrChangeNotification(n1);
      await z1.deleteIsrChangeNotification(n1);
      await eventually(async () => (await z2.getIsrChangeNotifications()).length === 1);
    });
  });
}

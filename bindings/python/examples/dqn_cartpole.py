"""dqn_cartpole.py: examples/dqn_cartpole.c in Python: a double deep Q-network learns the
cart-pole task (Barto, Sutton & Anderson 1983, as Gym's CartPole-v1: force 10 N, dt 0.02 s,
pole half-length 0.5 m, masses 1.0 and 0.1 kg, g 9.8, Euler integration, +-12 degrees and
+-2.4 m, 500-step episodes, reward 1 per step) one batch at a time:

    q = Sequential([Dense(40, relu), Dense(40, relu), Dense(2)]); q.compile(Adam(5e-4), "mse")
    target = clone_model(q); target.compile(...); target.copy_weights_from(q)
    every step: act with q.predict_on_batch(state), replay a mini-batch,
                q.train_on_batch(states, targets); every 500 steps target.copy_weights_from(q)

Solved (v1) when the return averaged over 100 consecutive episodes reaches 475. The same
hyperparameters as the C example; the random streams are NumPy's, so the episode counts
differ from the C program's.

Usage: python3 dqn_cartpole.py [MAX_EPISODES [SEED]]   (default 2000 episodes, seed 1)
"""

import math
import sys
import time

import numpy as np

import libdeep
from libdeep import Dense

MAX_STEPS = 500
MEMORY = 50000
BATCH = 64
WARMUP = 1000
GAMMA = 0.99
TARGET_SYNC = 500
EPSILON_STEPS = 10000
EPSILON_FLOOR = 0.01
LEARNING_RATE = 5e-4


class CartPole:
    """Gym's CartPole-v1 dynamics."""

    def __init__(self, rng):
        self.rng = rng
        self.state = None
        self.steps = 0

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, size=4)
        self.steps = 0
        return self.state.astype(np.float32)

    def step(self, action):
        """The next state, and whether it is terminal (the pole fell or the cart left)."""
        x, x_dot, theta, theta_dot = self.state
        gravity, cart_mass, pole_mass, half_length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
        total_mass, pole_moment = cart_mass + pole_mass, pole_mass * half_length
        force = force_mag if action == 1 else -force_mag
        cos_t, sin_t = math.cos(theta), math.sin(theta)
        temp = (force + pole_moment * theta_dot * theta_dot * sin_t) / total_mass
        theta_acc = (gravity * sin_t - cos_t * temp) / (half_length * (4.0 / 3.0 - pole_mass * cos_t * cos_t /
                                                                       total_mass))
        x_acc = temp - pole_moment * theta_acc * cos_t / total_mass
        self.state = np.array([x + tau * x_dot, x_dot + tau * x_acc, theta + tau * theta_dot,
                               theta_dot + tau * theta_acc])
        self.steps += 1
        terminal = abs(self.state[0]) > 2.4 or abs(self.state[2]) > 12 * 2 * math.pi / 360
        return self.state.astype(np.float32), terminal


def q_network(seed):
    model = libdeep.Sequential([Dense(40, activation="relu", input_shape=(4,)), Dense(40, activation="relu"),
                                Dense(2)])
    model.set_seed(seed)
    model.set_threads(1)  # matrices this small are not worth sharing
    model.compile(optimizer=libdeep.optimizers.Adam(learning_rate=LEARNING_RATE), loss="mse")
    return model


def main():
    max_episodes = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = np.random.default_rng(seed)
    q = q_network(seed)
    target = libdeep.clone_model(q)
    target.compile(optimizer="sgd", loss="mse")
    target.copy_weights_from(q)

    states = np.zeros((MEMORY, 4), np.float32)
    nexts = np.zeros((MEMORY, 4), np.float32)
    actions = np.zeros(MEMORY, np.int64)
    terminals = np.zeros(MEMORY, np.float32)
    count = head = steps = 0
    returns = []
    env = CartPole(rng)
    start = time.time()
    rows = np.arange(BATCH)
    for episode in range(max_episodes):
        state, terminal = env.reset(), False
        while not terminal and env.steps < MAX_STEPS:
            epsilon = max(EPSILON_FLOOR, 1.0 - steps / EPSILON_STEPS)
            if rng.random() < epsilon:
                action = int(rng.random() < 0.5)
            else:
                action = int(np.argmax(q.predict_on_batch(state[None, :])[0]))
            next_state, terminal = env.step(action)
            # A step cut by the 500-step limit is not terminal: its value still bootstraps.
            states[head], nexts[head], actions[head], terminals[head] = state, next_state, action, terminal
            head, count, steps, state = (head + 1) % MEMORY, min(count + 1, MEMORY), steps + 1, next_state
            if steps >= WARMUP:
                picked = rng.integers(0, count, size=BATCH)
                x, x_next = states[picked], nexts[picked]
                # Double DQN: the Q-network picks the next action, the target network values it.
                y = q.predict_on_batch(x)
                best = np.argmax(q.predict_on_batch(x_next), axis=1)
                value = target.predict_on_batch(x_next)[rows, best]
                y[rows, actions[picked]] = 1.0 + GAMMA * value * (1.0 - terminals[picked])
                q.train_on_batch(x, y)
            if steps % TARGET_SYNC == 0:
                target.copy_weights_from(q)
        returns.append(env.steps)
        average = float(np.mean(returns[-100:]))
        solved = len(returns) >= 100 and average >= 475
        if (episode + 1) % 10 == 0 or solved:
            print(f"episode {episode + 1:4d}  return {env.steps:3d}  average of the last 100 {average:6.1f}  "
                  f"steps {steps}  {time.time() - start:.1f}s", flush=True)
        if solved:
            print(f"solved CartPole-v1 (average return {average:.1f} >= 475 over episodes {episode - 98}-"
                  f"{episode + 1}) after {episode + 1} episodes, {steps} steps, {time.time() - start:.1f} s")
            return 0
    print(f"not solved within {max_episodes} episodes ({time.time() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import {
  applyConfChangeTo,
  configFromConfState,
  confStateOf,
  decodeConfChange,
  encodeConfChange,
  type ConfChange,
} from '../../../src/raft/conf-change.js'
import { ErrInvalidConfChange } from '../../../src/raft/errors.js'

describe('raft/conf-change', () => {
  const cfg = configFromConfState({ voters: [1n, 2n, 3n], learners: [4n] })

  it('returns a new configuration and leaves the old one alone', () => {
    const next = applyConfChangeTo(cfg, { type: 'addNode', nodeId: 5n })
    assert.deepEqual(confStateOf(next), { voters: [1n, 2n, 3n, 5n], learners: [4n] })
    assert.deepEqual(confStateOf(cfg), { voters: [1n, 2n, 3n], learners: [4n] })
  })

  it('promotes learners, adds learners, removes members', () => {
    assert.deepEqual(confStateOf(applyConfChangeTo(cfg, { type: 'promoteLearner', nodeId: 4n })), {
      voters: [1n, 2n, 3n, 4n],
      learners: [],
    })
    assert.deepEqual(confStateOf(applyConfChangeTo(cfg, { type: 'addNode', nodeId: 4n })), {
      voters: [1n, 2n, 3n, 4n],
      learners: [],
    })
    assert.deepEqual(confStateOf(applyConfChangeTo(cfg, { type: 'addLearner', nodeId: 6n })), {
      voters: [1n, 2n, 3n],
      learners: [4n, 6n],
    })
    assert.deepEqual(confStateOf(applyConfChangeTo(cfg, { type: 'removeNode', nodeId: 2n })), {
      voters: [1n, 3n],
      learners: [4n],
    })
    assert.deepEqual(confStateOf(applyConfChangeTo(cfg, { type: 'removeNode', nodeId: 4n })), {
      voters: [1n, 2n, 3n],
      learners: [],
    })
  })

  it('rejects changes that make no sense', () => {
    assert.throws(() => applyConfChangeTo(cfg, { type: 'addLearner', nodeId: 1n }), ErrInvalidConfChange)
    assert.throws(() => applyConfChangeTo(cfg, { type: 'promoteLearner', nodeId: 2n }), ErrInvalidConfChange)
    assert.throws(() => applyConfChangeTo(cfg, { type: 'addNode', nodeId: 0n }), ErrInvalidConfChange)
    const single = configFromConfState({ voters: [1n], learners: [] })
    assert.throws(() => applyConfChangeTo(single, { type: 'removeNode', nodeId: 1n }), ErrInvalidConfChange)
  })

  it('encodes and decodes losslessly', () => {
    const arb = fc.record({
      type: fc.constantFrom(
        'addNode' as const,
        'removeNode' as const,
        'addLearner' as const,
        'promoteLearner' as const,
      ),
      nodeId: fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
      context: fc.option(fc.uint8Array({ minLength: 1, maxLength: 20 }), { nil: undefined }),
    })
    fc.assert(
      fc.property(arb, (cc) => {
        const c: ConfChange = { type: cc.type, nodeId: cc.nodeId }
        if (cc.context !== undefined) c.context = cc.context
        assert.deepEqual(decodeConfChange(encodeConfChange(c)), c)
      }),
    )
    assert.throws(() => decodeConfChange(new Uint8Array([1, 2, 3])), ErrInvalidConfChange)
  })
})

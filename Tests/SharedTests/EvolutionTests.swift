import Testing
@testable import Shared

@Suite struct EvolutionTests {
    @Test func seededRandomIsFrozen() {
        // Frozen outputs: the same seed gives the same stream on every machine, or journals cannot be replayed.
        var rng = SeededRandom(seed: 42)
        #expect((0..<3).map { _ in rng.next() } == [1546998764402558742, 6990951692964543102, 12544586762248559009])
        var a = SeededRandom(seed: 1, stream: 7), b = SeededRandom(seed: 1, stream: 7), c = SeededRandom(seed: 1, stream: 8)
        #expect(a.next() == b.next())
        #expect(a.next() != c.next())
    }

    @Test func boundedDrawsAreInRangeAndUniformEnough() {
        var rng = SeededRandom(seed: 3)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[rng.below(7)] += 1 }
        #expect(counts.allSatisfy { (9_500...10_500).contains($0) })
    }

    @Test func sameSeedGivesTheSameInitialPopulation() {
        let settings = EvolutionSettings()
        var r1 = SeededRandom(seed: 99), r2 = SeededRandom(seed: 99)
        let a = TreeGenerator.rampedHalfAndHalf(count: 50, settings: settings, using: &r1)
        let b = TreeGenerator.rampedHalfAndHalf(count: 50, settings: settings, using: &r2)
        #expect(a == b)
        #expect(a.allSatisfy { (2...4).contains($0.depth) || $0.depth == 0 })
        #expect(Set(a.map(\.depth)).count >= 2)
    }

    /// The paper's set draws what it drew before rown/coln existed; the full set has its own frozen draw.
    @Test func firstTreesOfSeedZeroAreFrozen() {
        var settings = EvolutionSettings()
        settings.operators = .paper
        var rng = SeededRandom(seed: 0)
        let trees = TreeGenerator.rampedHalfAndHalf(count: 3, settings: settings, using: &rng)
        #expect(trees.map(\.description) == ["mms(add(W, G))", "zsn(div(G, G))", "sub(mul(W, G), pow(X))"])
        var all = SeededRandom(seed: 0)
        let extended = TreeGenerator.rampedHalfAndHalf(count: 3, settings: EvolutionSettings(), using: &all)
        #expect(extended.map(\.description) == ["zsn(coln(W))", "pow(coln(X))", "pow(mms(mul(W, W)))"])
    }

    /// Any sequence of genetic operators yields trees within the limits.
    @Test func operatorsRespectLimits() {
        var settings = EvolutionSettings()
        settings.limits = MetricLimits(maxDepth: 6, maxNodes: 20)
        var rng = SeededRandom(seed: 8)
        var population = TreeGenerator.rampedHalfAndHalf(count: 30, settings: settings, using: &rng)
        let fitness: [Double?] = population.indices.map { Double($0) }
        for _ in 0..<3_000 {
            let (child, _, _) = GeneticOperators.breed(settings: settings, using: &rng) { rng in
                population[GeneticOperators.tournament(fitness: fitness, size: 3, using: &rng)]
            }
            #expect((try? settings.limits.check(child)) != nil, "\(child)")
            population[rng.below(population.count)] = child
        }
    }

    @Test func pointMutationKeepsShape() {
        var rng = SeededRandom(seed: 4)
        for tree in randomTrees(count: 200, seed: 4) {
            let mutant = GeneticOperators.pointMutation(tree, settings: EvolutionSettings(), using: &rng)
            #expect(mutant.nodeCount == tree.nodeCount && mutant.depth == tree.depth && mutant != tree)
        }
    }

    @Test func tournamentPrefersLowerFinitePerplexity() {
        var rng = SeededRandom(seed: 5)
        let fitness: [Double?] = [nil, .nan, 30, 12, 50]
        var wins = [Int](repeating: 0, count: 5)
        for _ in 0..<2_000 { wins[GeneticOperators.tournament(fitness: fitness, size: 5, using: &rng)] += 1 }
        #expect(wins[3] > wins[2] && wins[2] > wins[4] && wins[0] + wins[1] < 60)
        #expect(GeneticOperators.isBetter(1, than: nil) && !GeneticOperators.isBetter(.nan, than: 5))
    }

    @Test func subtreesAreAddressedInPreorder() throws {
        let e = paperMetric  // mul(abs(mul(W, W)), mms(G))
        #expect(e.subtree(at: 0) == e)
        #expect(e.subtree(at: 2).description == "mul(W, W)")
        #expect(e.subtree(at: 5).description == "mms(G)")
        #expect(e.subtree(at: 6).description == "G")
        #expect(e.nodeDepth(at: 3) == 3)
        #expect(e.replacing(at: 4, with: .terminal(.X)).description == "mul(abs(mul(W, X)), mms(G))")
        #expect(e.replacing(at: 5, with: .terminal(.X)).description == "mul(abs(mul(W, W)), X)")
    }
}

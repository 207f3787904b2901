import Testing

@testable import KlapptKit

@Suite struct LinearProgramTests {
    @Test func maximisesWithBoundsAndInequalities() {
        var lp = LinearProgram(variables: 2)
        lp.objective = [-1, -1]
        lp.add([0: 1, 1: 2], .lessOrEqual, 4)
        lp.upperBounds[0] = 3
        guard case .optimal(let value, let x) = lp.minimize() else {
            Issue.record("not optimal")
            return
        }
        #expect(abs(value + 3.5) < 1e-9)
        #expect(abs(x[0] - 3) < 1e-9 && abs(x[1] - 0.5) < 1e-9)
    }

    @Test func equalitiesAndGreaterOrEqual() {
        // min x + 2y + 3z  s.t. x + y + z = 10, y - z >= 2, z >= 1
        var lp = LinearProgram(variables: 3)
        lp.objective = [1, 2, 3]
        lp.add([0: 1, 1: 1, 2: 1], .equal, 10)
        lp.add([1: 1, 2: -1], .greaterOrEqual, 2)
        lp.add([2: 1], .greaterOrEqual, 1)
        guard case .optimal(let value, let x) = lp.minimize() else {
            Issue.record("not optimal")
            return
        }
        #expect(abs(value - 15) < 1e-9)
        #expect(x.map { ($0 * 1e6).rounded() / 1e6 } == [6, 3, 1])
    }

    @Test func negativeRightHandSides() {
        // min x s.t. -x <= -4  (x >= 4)
        var lp = LinearProgram(variables: 1)
        lp.objective = [1]
        lp.add([0: -1], .lessOrEqual, -4)
        #expect(lp.minimize() == .optimal(value: 4, x: [4]))
    }

    @Test func infeasibleAndUnbounded() {
        var infeasible = LinearProgram(variables: 2)
        infeasible.add([0: 1, 1: 1], .equal, 5)
        infeasible.add([0: 1], .greaterOrEqual, 6)
        #expect(infeasible.minimize() == .infeasible)
        var unbounded = LinearProgram(variables: 2)
        unbounded.objective = [-1, 0]
        unbounded.add([0: 1, 1: -1], .equal, 1)
        #expect(unbounded.minimize() == .unbounded)
    }

    @Test func degenerateProblemTerminates() {
        // A classic cycling example for Dantzig's rule (Beale 1955).
        var lp = LinearProgram(variables: 4)
        lp.objective = [-0.75, 150, -0.02, 6]
        lp.add([0: 0.25, 1: -60, 2: -0.04, 3: 9], .lessOrEqual, 0)
        lp.add([0: 0.5, 1: -90, 2: -0.02, 3: 3], .lessOrEqual, 0)
        lp.add([2: 1], .lessOrEqual, 1)
        guard case .optimal(let value, _) = lp.minimize() else {
            Issue.record("not optimal")
            return
        }
        #expect(abs(value + 0.05) < 1e-9)
    }
}

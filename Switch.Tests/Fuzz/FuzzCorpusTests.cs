using Switch.Fuzz;
using Xunit;

namespace Switch.Tests.Fuzz;

/// <summary>
/// The fuzz targets (Switch.Fuzz) over their checked-in corpus, which holds the seeds and every input AFL++ found
/// that crashed a target (each a regression test), then a bounded, deterministic mutation run of each target in
/// process: bit flips, byte replacements, insertions, truncations and splices of the corpus. AFL++'s coverage-guided
/// runs (deploy/fuzz.sh) go deeper; this keeps every parser crash-free on every build.
/// </summary>
[Trait("Category", Tiers.Unit)]
public class FuzzCorpusTests
{
    public static TheoryData<string> Targets() => new(FuzzTargets.All.Keys);

    private static string CorpusDir(string target) => Path.Combine(AppContext.BaseDirectory, "corpus", target);

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_corpus_runs_without_a_crash(string target)
    {
        Assert.True(Directory.Exists(CorpusDir(target)), $"no corpus for {target} at {CorpusDir(target)}");
        Assert.NotEmpty(Directory.GetFiles(CorpusDir(target)));
        Assert.Empty(Switch.Fuzz.Program.Replay(FuzzTargets.All[target], CorpusDir(target)));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Mutations_of_the_corpus_run_without_a_crash(string target)
    {
        var run = FuzzTargets.All[target];
        var seeds = Directory.GetFiles(CorpusDir(target)).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var rng = new Random(12);
        int iterations = target == "frame" ? 1500 : 4000;
        for (int i = 0; i < iterations; i++)
        {
            var input = Mutate(seeds[rng.Next(seeds.Length)], seeds[rng.Next(seeds.Length)], rng);
            try { run(input); }
            catch (Exception e)
            {
                Assert.Fail($"{target} crashed on mutation {i} ({Convert.ToHexString(input)}): {e}");
            }
        }
    }

    private static byte[] Mutate(byte[] a, byte[] b, Random rng)
    {
        var d = new List<byte>(a);
        int n = 1 + rng.Next(8);
        for (int k = 0; k < n; k++)
        {
            int at = d.Count == 0 ? 0 : rng.Next(d.Count);
            switch (rng.Next(7))
            {
                case 0 when d.Count > 0: d[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1 when d.Count > 0: d[at] = (byte)rng.Next(256); break;
                case 2: d.InsertRange(at, Enumerable.Range(0, 1 + rng.Next(16)).Select(_ => (byte)rng.Next(256))); break;
                case 3 when d.Count > 0: d.RemoveRange(at, Math.Min(d.Count - at, 1 + rng.Next(32))); break;
                case 4 when d.Count > 0: d[at] = new byte[] { 0, 0xff, 0x7f, 0x80, 1 }[rng.Next(5)]; break;
                case 5: d.RemoveRange(Math.Min(at, d.Count), d.Count - Math.Min(at, d.Count)); break;
                default:
                    if (b.Length == 0) break;
                    int from = rng.Next(b.Length);
                    d.InsertRange(at, b.Skip(from).Take(1 + rng.Next(64)));
                    break;
            }
        }
        return d.ToArray();
    }
}

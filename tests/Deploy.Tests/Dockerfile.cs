using System.Text.Json;

namespace Pacs.Deploy.Tests;

/// <summary>
/// A Dockerfile read into its instructions (continuation lines joined, comments dropped), grouped by build stage.
/// Enough of the format (docs.docker.com "Dockerfile reference") for checking ours, not a general parser.
/// </summary>
internal sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<Stage> stages) => Stages = stages;

    public IReadOnlyList<Stage> Stages { get; }

    public Stage Final => Stages[^1];

    public Stage this[string name] => Stages.Single(s => s.Name == name);

    public static Dockerfile Load(string relativePath)
    {
        var stages = new List<Stage>();
        var logical = "";
        foreach (var raw in Repository.Read(relativePath).Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (logical.Length == 0 && line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                logical += line[..^1] + " ";
                continue;
            }
            logical += line;
            var text = logical.Trim();
            logical = "";
            if (text.Length == 0)
            {
                continue;
            }

            var space = text.IndexOf(' ', StringComparison.Ordinal);
            var instruction = new Instruction(text[..space].ToUpperInvariant(), text[(space + 1)..].Trim());
            if (instruction.Keyword == "FROM")
            {
                var words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                stages.Add(new Stage(words[0], words.Length == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null));
            }
            else
            {
                Assert.NotEmpty(stages); // nothing but comments and the syntax line before the first FROM
                stages[^1].Instructions.Add(instruction);
            }
        }
        return new Dockerfile(stages);
    }

    internal sealed record Instruction(string Keyword, string Arguments)
    {
        /// <summary>The words of a shell-form instruction, or the elements of an exec-form (JSON array) one.</summary>
        public string[] Words => Arguments.StartsWith('[')
            ? JsonSerializer.Deserialize<string[]>(Arguments)!
            : Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    internal sealed class Stage(string image, string? name)
    {
        public string Image { get; } = image;

        public string? Name { get; } = name;

        public List<Instruction> Instructions { get; } = [];

        public IEnumerable<Instruction> Of(string keyword) => Instructions.Where(i => i.Keyword == keyword);

        /// <summary>COPY instructions as (from stage or null for the build context, sources, destination).</summary>
        public IEnumerable<(string? From, string[] Sources, string Destination)> Copies() =>
            Of("COPY").Select(copy =>
            {
                var words = copy.Words.ToList();
                string? from = null;
                while (words[0].StartsWith("--", StringComparison.Ordinal))
                {
                    if (words[0].StartsWith("--from=", StringComparison.Ordinal))
                    {
                        from = words[0]["--from=".Length..];
                    }

                    words.RemoveAt(0);
                }
                return (from, words.Take(words.Count - 1).ToArray(), words[^1]);
            });
    }
}

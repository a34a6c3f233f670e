namespace Switch.Core.Datapath;

/// <summary>Splitting of ovs-ofctl text into top-level tokens (commas/blanks outside parentheses), with columns.</summary>
internal static class FlowText
{
    public readonly record struct Token(string Text, int Column);

    /// <summary>Splits <paramref name="s"/> (starting at 0-based <paramref name="baseIndex"/> of the full text).</summary>
    public static List<Token> Split(string s, int baseIndex, bool blanksSeparate)
    {
        var list = new List<Token>();
        int depth = 0, start = 0;
        for (int i = 0; i <= s.Length; i++)
        {
            char c = i < s.Length ? s[i] : ',';
            if (c == '(') depth++;
            else if (c == ')') depth--;
            // The end always closes the last token, even inside unbalanced parentheses: its parser then names it,
            // instead of the rest of the text vanishing unparsed (found by fuzzing).
            else if ((depth == 0 || i == s.Length) && (c == ',' || (blanksSeparate && char.IsWhiteSpace(c))))
            {
                var t = s[start..i].Trim();
                if (t.Length > 0) list.Add(new Token(t, baseIndex + start + (s[start..i].Length - s[start..i].TrimStart().Length) + 1));
                start = i + 1;
            }
        }
        return list;
    }

    /// <summary>Index of the top-level "actions=" keyword, or -1.</summary>
    public static int FindActions(string s)
    {
        int depth = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '(') depth++;
            else if (s[i] == ')') depth--;
            else if (depth == 0 && string.CompareOrdinal(s, i, "actions=", 0, 8) == 0 && (i == 0 || s[i - 1] is ',' or ' ' or '\t'))
                return i;
        }
        return -1;
    }
}

using System.Security.Cryptography;

namespace Pacs.Grains.Accounts;

/// <summary>Issue 12's password rule: at least 12 characters, three of the four character classes, not the username.</summary>
public static class PasswordPolicy
{
    public const int MinimumLength = 12;

    /// <summary>Longer inputs are refused before hashing: Argon2 over megabytes of "password" is a denial of service.</summary>
    public const int MaximumLength = 256;

    /// <summary>Why the password is refused, or null when it is acceptable.</summary>
    public static string? Check(string password, string username)
    {
        if (password.Length < MinimumLength)
        {
            return $"The password must have at least {MinimumLength} characters.";
        }

        if (password.Length > MaximumLength)
        {
            return $"The password must have at most {MaximumLength} characters.";
        }

        var classes = (password.Any(char.IsLower) ? 1 : 0) + (password.Any(char.IsUpper) ? 1 : 0)
            + (password.Any(char.IsDigit) ? 1 : 0) + (password.Any(c => !char.IsLetterOrDigit(c)) ? 1 : 0);
        if (classes < 3)
        {
            return "The password must mix at least three of: lower-case letters, upper-case letters, digits, other characters.";
        }

        if (username.Length > 0 && password.Contains(username, StringComparison.OrdinalIgnoreCase))
        {
            return "The password must not contain the username.";
        }

        return null;
    }

    /// <summary>A random password that meets the policy (first-run admin, admin resets that name none).</summary>
    public static string Generate()
    {
        const string Lower = "abcdefghijkmnpqrstuvwxyz", Upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", Digits = "23456789", Other = "-_.+";
        const string All = Lower + Upper + Digits + Other;
        while (true)
        {
            var chars = new char[20];
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = All[RandomNumberGenerator.GetInt32(All.Length)];
            }

            var candidate = new string(chars);
            if (candidate.Any(Lower.Contains) && candidate.Any(Upper.Contains) && candidate.Any(Digits.Contains) && Check(candidate, "") is null)
            {
                return candidate;
            }
        }
    }
}

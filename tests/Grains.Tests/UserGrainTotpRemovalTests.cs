using OtpNet;
using Pacs.Grains.Accounts;

namespace Pacs.Grains.Tests;

/// <summary>
/// Removing a TOTP second factor (UserGrain) on a cluster that requires one for admins: a doctor removes their own
/// with the password and a current code (a wrong code is refused), an admin's reset removes a doctor's, and neither
/// path removes an admin's, which would lock that admin out.
/// </summary>
public sealed class UserGrainTotpRemovalTests(AdminTotpRequiredClusterFixture fixture) : IClassFixture<AdminTotpRequiredClusterFixture>
{
    private const string Password = "Totp-Removal-Passw0rd";

    [Fact]
    public async Task RemoveTotp_DoctorWithPasswordAndCode_RemovedWrongCodeRefused()
    {
        var (doctor, totp) = await EnrolledAsync("doctor");
        Assert.Equal(AccountError.WrongPassword, (await doctor.RemoveTotpAsync(Password, Wrong(totp))).Error);
        Assert.Equal(AccountError.WrongPassword, (await doctor.RemoveTotpAsync("Not-The-Passw0rd", totp.ComputeTotp())).Error);
        Assert.True((await doctor.GetAsync())!.TotpEnabled);

        var removed = await doctor.RemoveTotpAsync(Password, totp.ComputeTotp());
        Assert.True(removed.Succeeded, removed.Detail);
        Assert.False(removed.Account!.TotpEnabled);
        Assert.Equal(AccountError.Invalid, (await doctor.RemoveTotpAsync(Password, totp.ComputeTotp())).Error);
        Assert.Equal(LoginOutcome.Succeeded, (await doctor.LoginAsync(Password, null)).Outcome);
    }

    [Fact]
    public async Task ResetTotp_ByAdminOfADoctor_Removed()
    {
        var (doctor, _) = await EnrolledAsync("doctor");
        var reset = await doctor.ResetTotpAsync();
        Assert.True(reset.Succeeded, reset.Detail);
        Assert.False((await doctor.GetAsync())!.TotpEnabled);
    }

    [Fact]
    public async Task RemoveAndResetTotp_OfAnAdminWhenRequired_Refused()
    {
        var (admin, totp) = await EnrolledAsync("admin");
        Assert.Equal(AccountError.Refused, (await admin.RemoveTotpAsync(Password, totp.ComputeTotp())).Error);
        Assert.Equal(AccountError.Refused, (await admin.ResetTotpAsync()).Error);
        Assert.True((await admin.GetAsync())!.TotpEnabled);
        Assert.Equal(LoginOutcome.Succeeded, (await admin.LoginAsync(Password, totp.ComputeTotp())).Outcome);
    }

    private async Task<(IUserGrain User, Totp Totp)> EnrolledAsync(string role)
    {
        var user = fixture.Cluster.GrainFactory.GetGrain<IUserGrain>(role + "-" + Guid.NewGuid().ToString("N")[..8]);
        var created = await user.CreateAsync(new NewAccount { Role = role, Password = Password, MustChangePassword = false, Groups = ["default"] });
        Assert.True(created.Succeeded, created.Detail);
        var secret = await user.BeginTotpEnrolmentAsync(Password);
        Assert.NotNull(secret);
        var totp = new Totp(Base32Encoding.ToBytes(secret));
        Assert.True(await user.ConfirmTotpAsync(totp.ComputeTotp()));
        return (user, totp);
    }

    private static string Wrong(Totp totp) =>
        ((int.Parse(totp.ComputeTotp(), System.Globalization.CultureInfo.InvariantCulture) + 500_000) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
}

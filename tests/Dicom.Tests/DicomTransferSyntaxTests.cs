using System.Reflection;

namespace Pacs.Dicom.Tests;

public sealed class DicomTransferSyntaxTests
{
    [Fact]
    public void All_EveryDeclaredSyntax_IsListedAndFindable()
    {
        var declared = typeof(DicomTransferSyntax).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DicomTransferSyntax))
            .Select(f => (DicomTransferSyntax)f.GetValue(null)!)
            .ToList();
        Assert.Equal(45, declared.Count);
        foreach (var syntax in declared)
        {
            Assert.Contains(syntax, DicomTransferSyntax.All);
            Assert.Same(syntax, DicomTransferSyntax.Find(syntax.Uid));
        }
        Assert.Equal(declared.Count + 14, DicomTransferSyntax.All.Count); // plus the retired JPEG processes
    }
}

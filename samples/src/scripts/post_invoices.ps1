# Posts approved supplier invoices from the shared list to the ERP API every evening.
$list = Import-Csv "\\fs01\finance\invoices\approved.csv"
foreach ($invoice in $list) {
    $body = @{ vendor = $invoice.Vendor; amount = $invoice.Amount; glAccount = "5400" } | ConvertTo-Json
    Invoke-RestMethod -Uri "https://erp01.plant.local/api/invoices" -Method Post -Body $body -ContentType "application/json"
}
Move-Item "\\fs01\finance\invoices\approved.csv" "\\fs01\finance\invoices\posted\$(Get-Date -Format yyyyMMdd).csv"

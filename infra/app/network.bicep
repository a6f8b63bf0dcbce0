// The network option (main.bicep vnetEnabled): the app's virtual network with two subnets, as the Flex
// Consumption VNet samples (Azure-Samples/*-azd, VNET_ENABLED) and the AVM virtual-network module lay it out:
// - `app`: the Function App's outbound VNet integration; Flex Consumption needs the subnet delegated to
//   Microsoft.App/environments, used by no other plan;
// - `private-endpoints`: the private endpoints of the app's storage, Key Vault and outcome topic
//   (private-endpoints.bicep).
// Each subnet has a network security group with Azure's default rules only (nothing inbound from the internet);
// the platform team adds peering, routes or its own rules (infra/README.md, network option).
param name string
param location string = resourceGroup().location
param tags object = {}
param addressPrefix string
param appSubnetPrefix string
param privateEndpointSubnetPrefix string

var appSubnetName = 'app'
var privateEndpointSubnetName = 'private-endpoints'

resource appSubnetNsg 'Microsoft.Network/networkSecurityGroups@2025-05-01' = {
  name: 'nsg-${name}-${appSubnetName}'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource privateEndpointSubnetNsg 'Microsoft.Network/networkSecurityGroups@2025-05-01' = {
  name: 'nsg-${name}-${privateEndpointSubnetName}'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressPrefix]
    }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: appSubnetPrefix
          networkSecurityGroup: {
            id: appSubnetNsg.id
          }
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
          privateEndpointNetworkPolicies: 'Disabled'
          privateLinkServiceNetworkPolicies: 'Enabled'
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          networkSecurityGroup: {
            id: privateEndpointSubnetNsg.id
          }
          privateEndpointNetworkPolicies: 'Disabled'
          privateLinkServiceNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

output vnetId string = vnet.id
output appSubnetId string = '${vnet.id}/subnets/${appSubnetName}'
output privateEndpointSubnetId string = '${vnet.id}/subnets/${privateEndpointSubnetName}'

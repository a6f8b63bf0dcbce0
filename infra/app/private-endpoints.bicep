// The network option's private endpoints (main.bicep vnetEnabled), one per service the app reaches: the app
// storage's blob, queue and table services (host state, Durable Functions, the deployment package, the app's
// queues and containers), the Key Vault (the topic-key reference) and the outcome topic (publishing). Each
// endpoint gets the private DNS zone of its service, linked to the app's VNet, and a zone group that writes the
// endpoint's A record into it: inside the VNet the service's public name resolves to the private address.
// The structure follows the AVM modules avm/res/network/private-endpoint (privateDnsZoneGroup) and
// avm/res/network/private-dns-zone (virtualNetworkLinks); a landing zone whose DNS zones are central
// (hub, DeployIfNotExists policies for zone groups) adapts this file: infra/README.md, network option.
param location string = resourceGroup().location
param tags object = {}
param vnetId string
param subnetId string
@description('One entry per endpoint: name (a short label), resourceId, groupId (the private-link sub-resource), zone (its private DNS zone). One zone per endpoint: the services\' zones differ.')
param endpoints array

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for endpoint in endpoints: {
    name: endpoint.zone
    location: 'global'
    tags: tags
  }
]

// Resolution through the zone for the app's VNet; no auto-registration (the zones hold endpoint records only).
resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (endpoint, i) in endpoints: {
    parent: zones[i]
    name: 'link-${uniqueString(vnetId)}'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnetId
      }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2025-05-01' = [
  for endpoint in endpoints: {
    name: 'pep-${last(split(endpoint.resourceId, '/'))}-${endpoint.name}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: subnetId
      }
      privateLinkServiceConnections: [
        {
          name: '${last(split(endpoint.resourceId, '/'))}-${endpoint.name}'
          properties: {
            privateLinkServiceId: endpoint.resourceId
            groupIds: [endpoint.groupId]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2025-05-01' = [
  for (endpoint, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: replace(endpoint.zone, '.', '-')
          properties: {
            privateDnsZoneId: zones[i].id
          }
        }
      ]
    }
  }
]

output privateEndpointIds array = [for (endpoint, i) in endpoints: privateEndpoints[i].id]
